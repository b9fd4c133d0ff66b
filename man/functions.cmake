# Writes mstap-functions(7) from `mstap --dump-functions`, at build time, so
# that the page lists exactly the functions that mstap has.
#   cmake -DMSTAP=PATH -DVERSION=X.Y.Z -DOUT=FILE -P functions.cmake
cmake_policy(VERSION 3.20)
execute_process(COMMAND ${MSTAP} --dump-functions OUTPUT_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR listing STREQUAL "")
  message(FATAL_ERROR "${MSTAP} --dump-functions failed (${status})")
endif()

# Roff-safe text: backslashes, minus signs, and a line that would start
# with a control character.
function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  if(text MATCHES "^[.']")
    set(text "\\&${text}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(page [=[.\" Generated from mstap --dump-functions by man/functions.cmake: do not edit.
.TH MSTAP\-FUNCTIONS 7 "2026" "mstap @VERSION@" "mstap"
.nh
.SH NAME
mstap\-functions \- the built\-in functions of mstap scripts
.SH DESCRIPTION
The functions a script can call without defining them, as
.B mstap \-\-dump\-functions
lists them.
Each is shown as
.IB NAME : TYPE
.RI ( PARAMETER : TYPE ", ...)"
with its result's type after its name (none for a function that returns
nothing);
.B ...
stands for any number of values of any type.
.SH FUNCTIONS
]=])
string(REPLACE "@VERSION@" "${VERSION}" page "${page}")
string(REPLACE "\n" ";" lines "${listing}")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  if(line MATCHES "^    (.*)$")
    roff_escape("${CMAKE_MATCH_1}" summary)
    string(APPEND page "${summary}\n")
  else()
    roff_escape("${line}" signature)
    string(APPEND page ".TP\n.B \"${signature}\"\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no functions in the output of ${MSTAP} --dump-functions")
endif()
string(APPEND page [=[.SH "SEE ALSO"
.BR mstap (1),
.BR mstap\-probes (7)
]=])
file(WRITE ${OUT} "${page}")
