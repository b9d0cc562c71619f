// The subcommands of the disback program. Each parses its own options and
// returns the process exit code; errors propagate as exceptions.
#pragma once

namespace disback::cli {

int train_teacher_command(int argc, char** argv);
int info_command(int argc, char** argv);

}  // namespace disback::cli
