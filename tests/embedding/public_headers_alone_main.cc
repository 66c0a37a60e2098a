// public_headers_alone: links one translation unit per public header (see
// CMakeLists.txt); compiling them was the check. Prints how many there are.
#include <cstdio>

int main(int argc, char** argv) {
  std::printf("%s public headers compile alone\n", argc > 1 ? argv[1] : "all");
  return 0;
}
