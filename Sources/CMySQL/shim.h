#ifndef DINGSYNC_CMYSQL_SHIM_H
#define DINGSYNC_CMYSQL_SHIM_H
#include <stddef.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

/*
 * Swift cannot call C macros and loses type safety on `const void *` option
 * values, so every such call gets a typed static inline wrapper here. Keep
 * this file boring: no logic beyond adapting types.
 *
 * Two header families provide <mysql.h>: MariaDB Connector/C 3.x (also what
 * Debian's default-libmysqlclient-dev installs) and Oracle's libmysqlclient
 * 8.0+. Their boolean type differs: MariaDB declares `typedef char my_bool`
 * and uses it in MYSQL_BIND and in function results; Oracle removed my_bool
 * in 8.0 and uses C99 `bool` (imported by Swift as Bool, not Int8). So Swift
 * code never names either: it uses the typedef and the int-returning wrappers
 * below, and compiles unchanged against both.
 */

/*
 * The boolean type of MYSQL_BIND's flag fields (is_null, error, is_unsigned),
 * taken from the header itself rather than guessed from a version macro: it is
 * by construction whatever the installed header declares (my_bool or bool), so
 * the pointers Swift hands to MYSQL_BIND always have the exact pointee type
 * the library writes through. The same type is what STMT_ATTR_UPDATE_MAX_LENGTH
 * reads in both families.
 */
typedef __typeof__(((MYSQL_BIND *)0)->is_null_value) dingsync_bind_flag;

static inline dingsync_bind_flag dingsync_bind_flag_make(int value) { return value ? 1 : 0; }
static inline int dingsync_bind_flag_is_set(dingsync_bind_flag flag) { return flag ? 1 : 0; }

/* mysql_library_init is a macro (for mysql_server_init). */
static inline int dingsync_mysql_library_init(void) {
    return mysql_library_init(0, NULL, NULL);
}

/* my_bool (MariaDB) or bool (Oracle) results, as int: non-zero means failure in both. */
static inline int dingsync_mysql_thread_init(void) { return mysql_thread_init() ? 1 : 0; }

static inline int dingsync_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *binds) {
    return mysql_stmt_bind_param(stmt, binds) ? 1 : 0;
}

static inline int dingsync_mysql_stmt_bind_result(MYSQL_STMT *stmt, MYSQL_BIND *binds) {
    return mysql_stmt_bind_result(stmt, binds) ? 1 : 0;
}

/* Option setters: the C API takes `const void *`, whose pointee type depends on the option. */
static inline int dingsync_mysql_options_uint(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_options(mysql, option, (const void *)&value);
}

static inline int dingsync_mysql_options_string(MYSQL *mysql, enum mysql_option option, const char *value) {
    return mysql_options(mysql, option, (const void *)value);
}

static inline int dingsync_mysql_stmt_attr_set_bool(MYSQL_STMT *stmt, enum enum_stmt_attr_type attr, int value) {
    dingsync_bind_flag flag = dingsync_bind_flag_make(value);
    return mysql_stmt_attr_set(stmt, attr, (const void *)&flag) ? 1 : 0;
}

/* The fetch status codes are macros. */
static inline int dingsync_mysql_no_data(void) { return MYSQL_NO_DATA; }
static inline int dingsync_mysql_data_truncated(void) { return MYSQL_DATA_TRUNCATED; }

#endif
