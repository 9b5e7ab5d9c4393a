#pragma once
// Line plots written as PNG: forecast vs truth, loss curves, ROC curves.
// Drawn with OpenCV (kept out of this header).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace xt {

struct Color {
  std::uint8_t r = 0, g = 0, b = 0;
};

class LinePlot {
 public:
  LinePlot(std::string title, std::string x_label, std::string y_label);

  // Adds a series; without a color the next one of a fixed palette is used.
  LinePlot& add(std::string label, std::vector<double> x, std::vector<double> y);
  LinePlot& add(std::string label, std::vector<double> x, std::vector<double> y, Color color);
  // Labels for x ticks (default: the number). E.g. dates from epoch seconds.
  LinePlot& x_tick_format(std::function<std::string(double)> format);
  // Explicit x tick positions (default: round numbers).
  LinePlot& x_ticks(std::vector<double> positions);
  // A vertical dashed line at x with a label (e.g. "resumed").
  LinePlot& marker(double x, std::string label);

  // Writes the PNG atomically. Throws on an empty plot or a write failure.
  void save_png(const std::filesystem::path& path, int width = 1200, int height = 480) const;

 private:
  friend void save_png_grid(const std::vector<LinePlot>&, const std::filesystem::path&, int, int, int);
  // The picture as height x width x 3 bytes (BGR).
  std::vector<std::uint8_t> render_bgr(int width, int height) const;

  struct Series {
    std::string label;
    std::vector<double> x, y;
    Color color;
  };
  struct Marker {
    double x;
    std::string label;
  };
  std::string title_, x_label_, y_label_;
  std::vector<Series> series_;
  std::vector<Marker> markers_;
  std::function<std::string(double)> x_format_;
  std::vector<double> x_ticks_;
};

// A confusion matrix as a PNG heat map: rows are the true classes, columns
// the predicted ones; each cell shows its count and is shaded by its share of
// the row (the recall of that class on the diagonal).
void save_confusion_matrix_png(const std::vector<std::vector<std::int64_t>>& counts,
                               const std::vector<std::string>& class_names, const std::string& title,
                               const std::filesystem::path& path);

// Several plots in one PNG, `columns` per row, each cell_width x cell_height.
void save_png_grid(const std::vector<LinePlot>& plots, const std::filesystem::path& path, int columns,
                   int cell_width = 600, int cell_height = 420);

}  // namespace xt
