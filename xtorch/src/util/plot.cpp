#include "xtorch/util/plot.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "xtorch/util/atomic_file.h"

namespace xt {
namespace {

const Color kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189}};

cv::Scalar bgr(Color c) { return {static_cast<double>(c.b), static_cast<double>(c.g), static_cast<double>(c.r)}; }

std::string default_format(double v) {
  std::ostringstream out;
  out << (std::abs(v) < 1e-12 ? 0.0 : v);  // no "-0" or "1e-17" for a tick at zero
  return out.str();
}

// About `count` round tick values covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int count) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) ticks.push_back(t);
  return ticks;
}

void put_text(cv::Mat& image, const std::string& text, cv::Point at, double scale = 0.45,
              cv::Scalar color = {40, 40, 40}) {
  cv::putText(image, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

}  // namespace

LinePlot::LinePlot(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)),
      x_format_(default_format) {}

LinePlot& LinePlot::add(std::string label, std::vector<double> x, std::vector<double> y) {
  const Color color = kPalette[series_.size() % (sizeof kPalette / sizeof kPalette[0])];
  return add(std::move(label), std::move(x), std::move(y), color);
}

LinePlot& LinePlot::add(std::string label, std::vector<double> x, std::vector<double> y, Color color) {
  if (x.size() != y.size()) throw std::invalid_argument("LinePlot::add: x and y differ in length");
  series_.push_back({std::move(label), std::move(x), std::move(y), color});
  return *this;
}

LinePlot& LinePlot::x_tick_format(std::function<std::string(double)> format) {
  x_format_ = std::move(format);
  return *this;
}

LinePlot& LinePlot::x_ticks(std::vector<double> positions) {
  x_ticks_ = std::move(positions);
  return *this;
}

LinePlot& LinePlot::marker(double x, std::string label) {
  markers_.push_back({x, std::move(label)});
  return *this;
}

std::vector<std::uint8_t> LinePlot::render_bgr(int width, int height) const {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const auto& s : series_) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]); x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]); y_hi = std::max(y_hi, s.y[i]);
    }
  }
  if (!std::isfinite(x_lo)) throw std::invalid_argument("LinePlot '" + title_ + "': nothing to plot");
  if (x_hi == x_lo) x_hi = x_lo + 1;
  if (y_hi == y_lo) y_hi = y_lo + 1;
  const double y_pad = 0.05 * (y_hi - y_lo);
  y_lo -= y_pad;
  y_hi += y_pad;

  const int left = 80, right = 20, top = 50, bottom = 60;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Rect area(left, top, width - left - right, height - top - bottom);
  const auto px = [&](double x) { return area.x + static_cast<int>((x - x_lo) / (x_hi - x_lo) * area.width); };
  const auto py = [&](double y) {
    return area.y + area.height - static_cast<int>((y - y_lo) / (y_hi - y_lo) * area.height);
  };

  for (double t : nice_ticks(y_lo, y_hi, 6)) {
    cv::line(image, {area.x, py(t)}, {area.x + area.width, py(t)}, {230, 230, 230}, 1);
    put_text(image, default_format(t), {8, py(t) + 4});
  }
  for (double t : x_ticks_.empty() ? nice_ticks(x_lo, x_hi, 8) : x_ticks_) {
    if (t < x_lo || t > x_hi) continue;
    cv::line(image, {px(t), area.y}, {px(t), area.y + area.height}, {230, 230, 230}, 1);
    const std::string label = x_format_(t);
    put_text(image, label, {px(t) - 4 * static_cast<int>(label.size()), area.y + area.height + 20});
  }
  cv::rectangle(image, area, {120, 120, 120}, 1);
  for (const auto& m : markers_) {
    for (int y = area.y; y < area.y + area.height; y += 12) {
      cv::line(image, {px(m.x), y}, {px(m.x), std::min(y + 6, area.y + area.height)}, {90, 90, 90}, 1);
    }
    put_text(image, m.label, {px(m.x) + 4, area.y + 14}, 0.4);
  }
  for (const auto& s : series_) {
    std::vector<cv::Point> points;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) points.emplace_back(px(s.x[i]), py(s.y[i]));
    }
    cv::polylines(image, points, false, bgr(s.color), 1, cv::LINE_AA);
  }
  int legend_x = area.x + 10;
  for (const auto& s : series_) {
    cv::line(image, {legend_x, top - 12}, {legend_x + 24, top - 12}, bgr(s.color), 2);
    put_text(image, s.label, {legend_x + 30, top - 8});
    legend_x += 50 + 9 * static_cast<int>(s.label.size());
  }
  put_text(image, title_, {left, 22}, 0.6);
  put_text(image, x_label_, {area.x + area.width / 2 - 4 * static_cast<int>(x_label_.size()), height - 12});
  put_text(image, y_label_, {8, top - 30});

  return std::vector<std::uint8_t>(image.data, image.data + image.total() * image.elemSize());
}

namespace {

void write_png(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png)) throw std::runtime_error(path.string() + ": PNG encoding failed");
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace

void LinePlot::save_png(const std::filesystem::path& path, int width, int height) const {
  std::vector<std::uint8_t> pixels = render_bgr(width, height);
  write_png(path, cv::Mat(height, width, CV_8UC3, pixels.data()));
}

void save_png_grid(const std::vector<LinePlot>& plots, const std::filesystem::path& path, int columns,
                   int cell_width, int cell_height) {
  if (plots.empty() || columns < 1) throw std::invalid_argument("save_png_grid: no plots or columns < 1");
  const int rows = (static_cast<int>(plots.size()) + columns - 1) / columns;
  cv::Mat grid(rows * cell_height, columns * cell_width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (std::size_t i = 0; i < plots.size(); ++i) {
    std::vector<std::uint8_t> pixels = plots[i].render_bgr(cell_width, cell_height);
    const cv::Rect cell(static_cast<int>(i % static_cast<std::size_t>(columns)) * cell_width,
                        static_cast<int>(i / static_cast<std::size_t>(columns)) * cell_height, cell_width,
                        cell_height);
    cv::Mat(cell_height, cell_width, CV_8UC3, pixels.data()).copyTo(grid(cell));
  }
  write_png(path, grid);
}

void save_confusion_matrix_png(const std::vector<std::vector<std::int64_t>>& counts,
                               const std::vector<std::string>& class_names, const std::string& title,
                               const std::filesystem::path& path) {
  const int n = static_cast<int>(counts.size());
  if (n == 0 || class_names.size() != counts.size()) {
    throw std::invalid_argument("save_confusion_matrix_png: need one class name per row");
  }
  const int cell = 70, left = 200, top = 90, right = 20, bottom = 30;
  cv::Mat image(top + n * cell + bottom, left + n * cell + right, CV_8UC3, cv::Scalar(255, 255, 255));
  put_text(image, title, {10, 24}, 0.6);
  put_text(image, "predicted ->", {left, top - 38});
  for (int r = 0; r < n; ++r) {
    if (static_cast<int>(counts[r].size()) != n) throw std::invalid_argument("save_confusion_matrix_png: not square");
    std::int64_t row_total = 0;
    for (const auto v : counts[r]) row_total += v;
    put_text(image, class_names[r], {8, top + r * cell + cell / 2 + 5}, 0.45);
    put_text(image, std::to_string(r), {left + r * cell + cell / 2 - 4, top - 12}, 0.45);
    for (int c = 0; c < n; ++c) {
      const double share = row_total == 0 ? 0.0 : static_cast<double>(counts[r][c]) / static_cast<double>(row_total);
      const cv::Rect box(left + c * cell, top + r * cell, cell, cell);
      // White to blue for the diagonal, white to red elsewhere (errors).
      const cv::Scalar color = r == c ? cv::Scalar(255, 255 - 150 * share, 255 - 200 * share)
                                      : cv::Scalar(255 - 200 * share, 255 - 200 * share, 255);
      cv::rectangle(image, box, color, cv::FILLED);
      cv::rectangle(image, box, {200, 200, 200}, 1);
      const std::string text = std::to_string(counts[r][c]);
      put_text(image, text, {box.x + cell / 2 - 5 * static_cast<int>(text.size()), box.y + cell / 2 + 5}, 0.5);
    }
  }
  write_png(path, image);
}

}  // namespace xt
