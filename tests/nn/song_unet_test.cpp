// SongUNet options that the golden files do not cover: skip encoder and
// decoder (auxiliary resampling paths) and augmentation labels.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "nn/denoiser.h"
#include "nn/song_unet.h"

namespace disback {
namespace {

nlohmann::json skip_config() {
  return {{"model_type", "SongUNet"},
          {"img_resolution", 32},
          {"img_channels", 3},
          {"label_dim", 0},
          {"augment_dim", 9},
          {"model_channels", 16},
          {"channel_mult", {1, 2, 2, 2}},
          {"num_blocks", 1},
          {"attn_resolutions", {8}},
          {"dropout", 0.05},
          {"encoder_type", "skip"},
          {"decoder_type", "skip"},
          {"resample_filter", {1, 3, 3, 1}}};
}

TEST(SongUNet, SkipEncoderDecoderAndAugmentLabelsRunForward) {
  torch::manual_seed(0);
  SongUNet net(SongUNetOptions::from_config(skip_config()));
  net.eval();
  torch::NoGradGuard no_grad;
  // Perturb every weight, as the golden files do, so that the layers that
  // start near zero (output heads, 1e-5) pass the augmentation's effect on.
  for (auto& p : net.parameters()) p.add_(0.05 * torch::randn_like(p));
  const auto x = torch::randn({2, 3, 32, 32});
  const auto noise = torch::tensor({-1.0f, 0.5f});
  const auto plain = net.forward(x, noise, {});
  const auto augmented = net.forward(x, noise, {}, torch::randn({2, 9}));
  EXPECT_EQ(plain.sizes(), x.sizes());
  EXPECT_EQ(augmented.sizes(), x.sizes());
  const double change = (augmented - plain).abs().max().item<double>();
  std::printf("output change from augment labels: %.3e (expected > 1e-3)\n", change);
  EXPECT_GT(change, 1e-3);
}

TEST(SongUNet, SkipArchitectureUsesReferenceParameterNames) {
  Denoiser denoiser(skip_config());
  std::set<std::string> names;
  for (const auto& item : denoiser.named_parameters()) names.insert(item.key());
  for (const auto& item : denoiser.named_buffers()) names.insert(item.key());
  for (const char* expected :
       {"model.map_augment.weight", "model.enc.16x16_aux_down.resample_filter",
        "model.enc.16x16_aux_skip.weight", "model.enc.16x16_aux_skip.bias",
        "model.enc.4x4_aux_skip.weight", "model.dec.4x4_aux_norm.weight",
        "model.dec.4x4_aux_conv.weight", "model.dec.8x8_aux_up.resample_filter",
        "model.dec.8x8_aux_conv.bias", "model.dec.32x32_aux_up.resample_filter",
        "model.dec.32x32_aux_conv.weight", "model.dec.8x8_block1.qkv.weight",
        "model.enc.16x16_down.skip.resample_filter"}) {
    EXPECT_TRUE(names.count(expected)) << "no tensor named " << expected;
  }
  // The reference's augmentation mapping has no bias, and a kernel-0
  // resampling layer has no weights.
  EXPECT_FALSE(names.count("model.map_augment.bias"));
  EXPECT_FALSE(names.count("model.enc.16x16_aux_down.weight"));
  EXPECT_FALSE(names.count("model.dec.4x4_aux_up.resample_filter"));
}

TEST(SongUNet, FourierResidualNoiseMultiplierBuilds) {
  nlohmann::json config = skip_config();
  config["embedding_type"] = "fourier";
  config["channel_mult_noise"] = 2;
  config["encoder_type"] = "residual";
  config["decoder_type"] = "standard";
  Denoiser denoiser(config);
  denoiser.eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 32, 32});
  EXPECT_EQ(denoiser.forward(x, torch::tensor({0.1f, 10.0f})).sizes(), x.sizes());
  const auto buffers = denoiser.named_buffers();
  ASSERT_TRUE(buffers.contains("model.map_noise.freqs"));
  EXPECT_EQ(buffers["model.map_noise.freqs"].numel(), 16);  // 2 * 16 channels / 2
  EXPECT_TRUE(buffers.contains("model.enc.8x8_aux_residual.resample_filter"));
}

}  // namespace
}  // namespace disback
