#ifndef DINGSYNC_CMYSQL_SHIM_H
#define DINGSYNC_CMYSQL_SHIM_H
#include <mysql.h>
#endif
