# -*- Python -*-
# lit configuration for hydra's IR tests (FileCheck, -verify-diagnostics).

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "hydra"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.hydra_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in", "Execution"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# FileCheck, not and count live in LLVM's bin directory, off PATH on Debian.
tool_dirs = [config.hydra_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["hydra-opt"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.hydra_tools_dir, append_path=True)
