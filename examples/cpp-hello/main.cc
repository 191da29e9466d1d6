#include <gantry_pdk/server.h>

int main(int argc, char** argv) { return gantry_pdk::serve(argc, argv); }
