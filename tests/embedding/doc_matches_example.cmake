# cmake -DDOC=<markdown> -DFILES=<file;...> -P doc_matches_example.cmake
#
# Fails unless the document contains the text of every file verbatim, so
# the example docs/embedding.md shows is the one the suite compiles and runs.
file(READ ${DOC} doc)
set(missing "")
foreach(f IN LISTS FILES)
  file(READ ${f} text)
  string(FIND "${doc}" "${text}" at)
  if(at EQUAL -1)
    list(APPEND missing ${f})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "${DOC} does not contain the current text of: ${missing}\n"
                      "Paste the file(s) into the doc's code block(s) unchanged.")
endif()
list(LENGTH FILES n)
message(STATUS "${DOC} contains the ${n} example file(s) verbatim")
