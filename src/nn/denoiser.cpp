#include "nn/denoiser.h"

#include "common/error.h"

namespace disback {

Preconditioning edm_preconditioning(const torch::Tensor& sigma, double sigma_data) {
  const double sd2 = sigma_data * sigma_data;
  const torch::Tensor norm = (sigma.square() + sd2).sqrt();
  return {sd2 / (sigma.square() + sd2), sigma * sigma_data / norm, 1.0 / norm, sigma.log() / 4};
}

Denoiser::Denoiser(nlohmann::json config) : config_(std::move(config)) {
  DISBACK_CHECK(config_.is_object(), "denoiser config must be a JSON object");
  sigma_data_ = config_value(config_, "sigma_data", 0.5);
  label_dim_ = config_value<int64_t>(config_, "label_dim", 0);
  const int64_t channels = config_value<int64_t>(config_, "img_channels", 0);
  const int64_t resolution = config_value<int64_t>(config_, "img_resolution", 0);
  DISBACK_CHECK(channels > 0, "denoiser config needs img_channels > 0, got ", channels);
  DISBACK_CHECK(sigma_data_ > 0, "denoiser config needs sigma_data > 0, got ", sigma_data_);
  if (config_value<std::string>(config_, "model_type", "") == "MlpNet") {
    sample_shape_ = {channels};
  } else {
    DISBACK_CHECK(resolution > 0, "denoiser config needs img_resolution > 0, got ", resolution);
    sample_shape_ = {channels, resolution, resolution};
  }
  model_ = register_module("model", make_network(config_));
}

torch::Tensor Denoiser::forward(const torch::Tensor& x_in, const torch::Tensor& sigma_in,
                                const torch::Tensor& class_labels_in) {
  const int64_t batch = x_in.size(0);
  DISBACK_CHECK(x_in.dim() == static_cast<int64_t>(sample_shape_.size()) + 1,
                "denoiser expects input of shape [N, ", c10::IntArrayRef(sample_shape_), "], got ",
                x_in.sizes());
  const torch::Tensor x = x_in.to(torch::kFloat32);

  // Noise levels broadcast over every sample dimension.
  std::vector<int64_t> sigma_shape(x.dim(), 1);
  sigma_shape[0] = batch;
  torch::Tensor sigma = sigma_in.to(x.device(), torch::kFloat32).reshape({-1});
  if (sigma.numel() == 1) sigma = sigma.expand({batch});
  DISBACK_CHECK(sigma.numel() == batch, "denoiser got ", sigma.numel(), " noise levels for ", batch,
                " samples");
  sigma = sigma.reshape(sigma_shape);

  torch::Tensor labels;
  if (label_dim_ > 0) {
    labels = class_labels_in.defined()
                 ? class_labels_in.to(x.device(), torch::kFloat32).reshape({-1, label_dim_})
                 : torch::zeros({1, label_dim_}, x.options());
  }

  const Preconditioning c = edm_preconditioning(sigma, sigma_data_);
  const torch::Tensor F_x = model_->forward(c.c_in * x, c.c_noise.flatten(), labels);
  return c.c_skip * x + c.c_out * F_x;
}

std::shared_ptr<Denoiser> Denoiser::clone() const {
  auto copy = std::make_shared<Denoiser>(config_);
  copy->copy_weights_from(*this);
  if (!parameters().empty()) copy->to(parameters().front().device());
  copy->train(is_training());
  return copy;
}

void Denoiser::copy_weights_from(const Denoiser& other) {
  torch::NoGradGuard no_grad;
  auto source_params = other.named_parameters();
  for (auto& item : named_parameters()) {
    const auto* source = source_params.find(item.key());
    DISBACK_CHECK(source != nullptr && source->sizes() == item.value().sizes(),
                  "cannot copy weights: architectures differ at '", item.key(), "'");
    item.value().copy_(*source);
  }
  auto source_buffers = other.named_buffers();
  for (auto& item : named_buffers()) {
    const auto* source = source_buffers.find(item.key());
    DISBACK_CHECK(source != nullptr, "cannot copy weights: no buffer '", item.key(), "'");
    item.value().copy_(*source);
  }
}

int64_t Denoiser::parameter_count() const {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

}  // namespace disback
