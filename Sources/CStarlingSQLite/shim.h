#ifndef STARLING_SQLITE_SHIM_H
#define STARLING_SQLITE_SHIM_H

#include <sqlite3.h>

// `SQLITE_TRANSIENT` is a macro cast of -1 to a destructor pointer, which Swift
// cannot import; this is its single declaration for the whole package.
static inline sqlite3_destructor_type starling_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
