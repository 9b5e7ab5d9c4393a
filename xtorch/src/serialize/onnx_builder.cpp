#include "xtorch/serialize/onnx_builder.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <map>
#include <set>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>

#include "xtorch/version.h"

namespace xt {
namespace {

void set_shape(onnx::ValueInfoProto* info, const std::vector<OnnxDim>& shape) {
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(onnx::TensorProto::FLOAT);
  auto* dims = tensor_type->mutable_shape();
  for (const auto& dim : shape) {
    if (const auto* size = std::get_if<std::int64_t>(&dim.value)) {
      dims->add_dim()->set_dim_value(*size);
    } else {
      dims->add_dim()->set_dim_param(std::get<std::string>(dim.value));
    }
  }
}

std::vector<std::int64_t> padding_of(const torch::nn::detail::ConvNdOptions<1>::padding_t& padding,
                                     const std::string& name) {
  if (const auto* explicit_padding = c10::get_if<torch::ExpandingArray<1>>(&padding)) {
    return {(**explicit_padding)[0], (**explicit_padding)[0]};
  }
  if (c10::get_if<torch::enumtype::kValid>(&padding)) return {0, 0};
  throw UnsupportedLayerError("ONNX export: layer '" + name + "' uses padding='same', which is not supported");
}

}  // namespace

torch::Tensor lstm_gates_to_onnx(const torch::Tensor& rows) {
  TORCH_CHECK(rows.size(0) % 4 == 0, "lstm_gates_to_onnx: first dimension must be 4 * hidden, got ", rows.size(0));
  const auto gates = rows.chunk(4, 0);  // i, f, g, o
  return torch::cat({gates[0], gates[3], gates[1], gates[2]}, 0);
}

struct OnnxGraphBuilder::Impl {
  onnx::GraphProto graph;
  std::set<std::string> names;
  std::map<std::string, int> counters;

  std::string unique(const std::string& base) {
    std::string name = base;
    for (int i = 1; names.count(name); ++i) name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  }
};

OnnxGraphBuilder::OnnxGraphBuilder(std::string graph_name) : impl_(std::make_unique<Impl>()) {
  impl_->graph.set_name(std::move(graph_name));
}
OnnxGraphBuilder::~OnnxGraphBuilder() = default;
OnnxGraphBuilder::OnnxGraphBuilder(OnnxGraphBuilder&&) noexcept = default;
OnnxGraphBuilder& OnnxGraphBuilder::operator=(OnnxGraphBuilder&&) noexcept = default;

std::string OnnxGraphBuilder::input(const std::string& name, const std::vector<OnnxDim>& shape) {
  if (impl_->names.count(name)) throw std::invalid_argument("ONNX export: value name '" + name + "' is taken");
  impl_->names.insert(name);
  set_shape(impl_->graph.add_input(), shape);
  impl_->graph.mutable_input()->rbegin()->set_name(name);
  return name;
}

void OnnxGraphBuilder::output(const std::string& value, const std::string& name, const std::vector<OnnxDim>& shape) {
  std::string source = value;
  if (value != name) {
    if (impl_->names.count(name)) throw std::invalid_argument("ONNX export: value name '" + name + "' is taken");
    impl_->names.insert(name);
    auto* node = impl_->graph.add_node();
    node->set_op_type("Identity");
    node->set_name(impl_->unique(name + "/Identity"));
    node->add_input(value);
    node->add_output(name);
  }
  auto* info = impl_->graph.add_output();
  info->set_name(name);
  set_shape(info, shape);
}

std::string OnnxGraphBuilder::initializer(const std::string& name, const torch::Tensor& value) {
  const torch::Tensor t = value.detach().to(torch::kCPU).contiguous();
  auto* tensor = impl_->graph.add_initializer();
  const std::string unique = impl_->unique(name);
  tensor->set_name(unique);
  for (const auto size : t.sizes()) tensor->add_dims(size);
  if (t.scalar_type() == torch::kFloat32) {
    tensor->set_data_type(onnx::TensorProto::FLOAT);
  } else if (t.scalar_type() == torch::kInt64) {
    tensor->set_data_type(onnx::TensorProto::INT64);
  } else {
    throw std::invalid_argument("ONNX export: initializer '" + name + "' has unsupported dtype " +
                                std::string(c10::toString(t.scalar_type())) + " (float32 and int64 are)");
  }
  tensor->set_raw_data(t.data_ptr(), static_cast<std::size_t>(t.numel()) * t.element_size());
  return unique;
}

std::string OnnxGraphBuilder::constant_ints(const std::string& name, const std::vector<std::int64_t>& values) {
  return initializer(name, torch::tensor(values, torch::kInt64));
}

std::vector<std::string> OnnxGraphBuilder::op(const std::string& type, const std::vector<std::string>& inputs,
                                              const std::vector<Attribute>& attributes, int outputs) {
  auto* node = impl_->graph.add_node();
  node->set_op_type(type);
  const std::string name = impl_->unique(type + "_" + std::to_string(impl_->counters[type]++));
  node->set_name(name);
  for (const auto& in : inputs) node->add_input(in);
  std::vector<std::string> result;
  for (int i = 0; i < outputs; ++i) {
    result.push_back(impl_->unique(name + "_out" + std::to_string(i)));
    node->add_output(result.back());
  }
  for (const auto& attribute : attributes) {
    auto* a = node->add_attribute();
    a->set_name(attribute.name);
    if (const auto* i = std::get_if<std::int64_t>(&attribute.value)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&attribute.value)) {
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(*f);
    } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&attribute.value)) {
      a->set_type(onnx::AttributeProto::INTS);
      for (const auto v : *ints) a->add_ints(v);
    } else {
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(std::get<std::string>(attribute.value));
    }
  }
  return result;
}

std::string OnnxGraphBuilder::transpose(const std::string& x, const std::vector<std::int64_t>& perm) {
  return op1("Transpose", {x}, {{"perm", perm}});
}

std::string OnnxGraphBuilder::squeeze(const std::string& x, const std::vector<std::int64_t>& axes) {
  return op1("Squeeze", {x, constant_ints("axes", axes)});
}

std::string OnnxGraphBuilder::unsqueeze(const std::string& x, const std::vector<std::int64_t>& axes) {
  return op1("Unsqueeze", {x, constant_ints("axes", axes)});
}

std::string OnnxGraphBuilder::linear(const std::string& x, const torch::nn::LinearImpl& layer,
                                     const std::string& name) {
  std::string y = matmul(x, initializer(name + ".weight_t", layer.weight.t()));
  return layer.bias.defined() ? add(y, initializer(name + ".bias", layer.bias)) : y;
}

std::string OnnxGraphBuilder::conv1d(const std::string& x, const torch::nn::Conv1dImpl& layer,
                                     const std::string& name) {
  const auto& o = layer.options;
  if (!c10::get_if<torch::enumtype::kZeros>(&o.padding_mode())) {
    throw UnsupportedLayerError("ONNX export: layer '" + name + "' (Conv1d) uses a padding mode other than zeros");
  }
  std::vector<std::string> inputs = {x, initializer(name + ".weight", layer.weight)};
  if (layer.bias.defined()) inputs.push_back(initializer(name + ".bias", layer.bias));
  return op1("Conv", inputs,
             {{"kernel_shape", std::vector<std::int64_t>{(*o.kernel_size())[0]}},
              {"strides", std::vector<std::int64_t>{(*o.stride())[0]}},
              {"dilations", std::vector<std::int64_t>{(*o.dilation())[0]}},
              {"pads", padding_of(o.padding(), name)},
              {"group", o.groups()}});
}

std::string OnnxGraphBuilder::conv_transpose1d(const std::string& x, const torch::nn::ConvTranspose1dImpl& layer,
                                               const std::string& name) {
  const auto& o = layer.options;
  if (!c10::get_if<torch::enumtype::kZeros>(&o.padding_mode())) {
    throw UnsupportedLayerError("ONNX export: layer '" + name +
                                "' (ConvTranspose1d) uses a padding mode other than zeros");
  }
  std::vector<std::string> inputs = {x, initializer(name + ".weight", layer.weight)};
  if (layer.bias.defined()) inputs.push_back(initializer(name + ".bias", layer.bias));
  return op1("ConvTranspose", inputs,
             {{"kernel_shape", std::vector<std::int64_t>{(*o.kernel_size())[0]}},
              {"strides", std::vector<std::int64_t>{(*o.stride())[0]}},
              {"dilations", std::vector<std::int64_t>{(*o.dilation())[0]}},
              {"pads", padding_of(o.padding(), name)},
              {"output_padding", std::vector<std::int64_t>{(*o.output_padding())[0]}},
              {"group", o.groups()}});
}

OnnxGraphBuilder::LstmOutputs OnnxGraphBuilder::lstm_batch_first(const std::string& x,
                                                                 const torch::nn::LSTMImpl& layer,
                                                                 const std::string& name) {
  const auto& o = layer.options;
  if (!o.batch_first() || o.bidirectional() || o.proj_size() != 0) {
    throw UnsupportedLayerError("ONNX export: layer '" + name +
                                "' (LSTM): only unidirectional batch_first LSTMs without projection are supported");
  }
  const std::int64_t hidden = o.hidden_size();
  const auto parameters = layer.named_parameters(/*recurse=*/false);
  const auto weight = [&](const std::string& key) -> torch::Tensor {
    const auto* p = parameters.find(key);
    return p ? *p : torch::zeros({4 * hidden});  // bias=false: zero biases
  };
  std::string sequence = transpose(x, {1, 0, 2});  // [time, batch, features]
  std::string last_hidden_3d;
  for (std::int64_t l = 0; l < o.num_layers(); ++l) {
    const std::string suffix = "_l" + std::to_string(l);
    const std::string prefix = name + ".l" + std::to_string(l);
    const std::string w = initializer(prefix + ".W", lstm_gates_to_onnx(weight("weight_ih" + suffix)).unsqueeze(0));
    const std::string r = initializer(prefix + ".R", lstm_gates_to_onnx(weight("weight_hh" + suffix)).unsqueeze(0));
    const std::string b = initializer(
        prefix + ".B",
        torch::cat({lstm_gates_to_onnx(weight("bias_ih" + suffix)), lstm_gates_to_onnx(weight("bias_hh" + suffix))})
            .unsqueeze(0));
    const auto outputs = op("LSTM", {sequence, w, r, b}, {{"hidden_size", hidden}}, 2);  // Y, Y_h
    sequence = squeeze(outputs[0], {1});  // [time, 1, batch, hidden] -> [time, batch, hidden]
    last_hidden_3d = outputs[1];          // [1, batch, hidden]
  }
  return {transpose(sequence, {1, 0, 2}), squeeze(last_hidden_3d, {0})};
}

std::string OnnxGraphBuilder::layer(const std::string& x, const torch::nn::Module& module, const std::string& name) {
  if (const auto* m = dynamic_cast<const torch::nn::LinearImpl*>(&module)) return linear(x, *m, name);
  if (const auto* m = dynamic_cast<const torch::nn::Conv1dImpl*>(&module)) return conv1d(x, *m, name);
  if (const auto* m = dynamic_cast<const torch::nn::ConvTranspose1dImpl*>(&module)) {
    return conv_transpose1d(x, *m, name);
  }
  if (dynamic_cast<const torch::nn::ReLUImpl*>(&module)) return relu(x);
  if (dynamic_cast<const torch::nn::TanhImpl*>(&module)) return op1("Tanh", {x});
  if (dynamic_cast<const torch::nn::SigmoidImpl*>(&module)) return op1("Sigmoid", {x});
  if (dynamic_cast<const torch::nn::DropoutImpl*>(&module)) return x;  // identity in eval mode
  if (const auto* seq = dynamic_cast<const torch::nn::SequentialImpl*>(&module)) {
    std::string y = x;
    for (const auto& child : seq->named_children()) y = layer(y, *child.value(), name + "." + child.key());
    return y;
  }
  throw UnsupportedLayerError("ONNX export: layer '" + name + "' (" + module.name() +
                              ") is not supported; supported layers: Linear, LSTM, Conv1d, ConvTranspose1d, ReLU, "
                              "Tanh, Sigmoid, Dropout, Sequential of these");
}

std::string OnnxGraphBuilder::finish(int opset, const std::vector<std::pair<std::string, std::string>>& metadata) {
  onnx::ModelProto model;
  model.set_ir_version(8);  // ONNX 1.12
  model.set_producer_name("xtorch");
  model.set_producer_version(kVersion);
  auto* import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  for (const auto& [key, value] : metadata) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  *model.mutable_graph() = impl_->graph;
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("ONNX checker rejected the graph '") + impl_->graph.name() +
                                "': " + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw std::runtime_error("ONNX export: protobuf serialization failed");
  return bytes;
}

}  // namespace xt
