#include "milter.h"
