# Build-speed helpers: ccache when present, and one precompiled header for the
# LibTorch headers that every target reuses (torch/torch.h alone costs ~15 s per
# translation unit on a 2-core machine; with the PCH it is parsed once).

find_program(XT_CCACHE ccache)
if(XT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # PCH-aware ccache needs these sloppiness settings to get cache hits.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${XT_CCACHE})
  message(STATUS "xtorch: using ccache (${XT_CCACHE})")
endif()

option(XT_USE_PCH "Use a precompiled header for LibTorch" ON)

# xt_use_pch(target): reuse the PCH built for the xtorch_pch target. A PCH is
# only used with the exact flags it was built with, so every user compiles
# with -fPIC like the shared library (harmless in executables).
function(xt_use_pch target)
  if(XT_USE_PCH AND TARGET xtorch_pch)
    target_precompile_headers(${target} REUSE_FROM xtorch_pch)
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
endfunction()
