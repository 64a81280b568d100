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
 */

/* mysql_library_init is a macro (for mysql_server_init). */
static inline int dingsync_mysql_library_init(void) {
    return mysql_library_init(0, NULL, NULL);
}

/* Option setters: the C API takes `const void *`, whose pointee type depends on the option. */
static inline int dingsync_mysql_options_uint(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_options(mysql, option, (const void *)&value);
}

static inline int dingsync_mysql_options_bool(MYSQL *mysql, enum mysql_option option, int value) {
    my_bool flag = value ? 1 : 0;
    return mysql_options(mysql, option, (const void *)&flag);
}

static inline int dingsync_mysql_options_string(MYSQL *mysql, enum mysql_option option, const char *value) {
    return mysql_options(mysql, option, (const void *)value);
}

static inline int dingsync_mysql_stmt_attr_set_bool(MYSQL_STMT *stmt, enum enum_stmt_attr_type attr, int value) {
    my_bool flag = value ? 1 : 0;
    return mysql_stmt_attr_set(stmt, attr, (const void *)&flag);
}

/* The fetch status codes are macros. */
static inline int dingsync_mysql_no_data(void) { return MYSQL_NO_DATA; }
static inline int dingsync_mysql_data_truncated(void) { return MYSQL_DATA_TRUNCATED; }

#endif
