// The subcommands of the disback program. Each parses its own options and
// returns the process exit code; errors propagate as exceptions.
#pragma once

namespace disback::cli {

int train_teacher_command(int argc, char** argv);
int info_command(int argc, char** argv);
int sample_command(int argc, char** argv);
int train_classifier_command(int argc, char** argv);
int stats_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int denoise_command(int argc, char** argv);
int bench_network_command(int argc, char** argv);
int run_command(int argc, char** argv);
int record_path_command(int argc, char** argv);
int distill_command(int argc, char** argv);
int study_command(int argc, char** argv);

}  // namespace disback::cli
