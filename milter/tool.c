#include "milter.h"
int main(void) { return 0; }
