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

/*
 * Which client library the headers belong to, from the headers' own macros:
 * MariaDB Connector/C's mariadb_version.h defines MARIADB_PACKAGE_VERSION_ID;
 * Oracle's mysql_version.h defines LIBMYSQL_VERSION_ID (80000 and up for 8.x).
 * MariaDB's compat mysql_version.h defines LIBMYSQL_VERSION too, so MariaDB is
 * tested first.
 */
#if defined(MARIADB_PACKAGE_VERSION_ID)
#define DINGSYNC_CLIENT_MARIADB 1
#elif defined(LIBMYSQL_VERSION_ID) && LIBMYSQL_VERSION_ID >= 80000
#define DINGSYNC_CLIENT_ORACLE 1
#else
#error "dingsync needs MariaDB Connector/C 3.x or Oracle libmysqlclient 8.0 or later"
#endif

static inline int dingsync_client_is_mariadb(void) {
#ifdef DINGSYNC_CLIENT_MARIADB
    return 1;
#else
    return 0;
#endif
}

/*
 * TLS. The two families configure it differently:
 *  - Oracle 8.0+: MYSQL_OPT_SSL_MODE takes an `unsigned int` holding an
 *    `enum mysql_ssl_mode` (SSL_MODE_DISABLED … SSL_MODE_VERIFY_IDENTITY); the
 *    library itself refuses a server without TLS in REQUIRED and stronger modes,
 *    and verifies the chain (VERIFY_CA) and the host name (VERIFY_IDENTITY).
 *    MYSQL_OPT_SSL_ENFORCE and MYSQL_OPT_SSL_VERIFY_SERVER_CERT are gone in 8.0.
 *  - MariaDB Connector/C 3.x: no mode option. MYSQL_OPT_SSL_ENFORCE (my_bool)
 *    turns TLS on when the server offers it, MYSQL_OPT_SSL_VERIFY_SERVER_CERT
 *    (my_bool) verifies the chain and the host name and refuses a server
 *    without TLS; a configured CA is always checked. Measured with 3.3: neither
 *    ENFORCE nor a CA alone refuses a server without TLS, so the Swift side
 *    checks mysql_get_ssl_cipher after connecting in REQUIRED and VERIFY_CA.
 * mysql_ssl_set is not used: Oracle removed it in 8.x.
 * The modes are numbered like Oracle's enum mysql_ssl_mode.
 */
enum dingsync_tls_mode {
    DINGSYNC_TLS_DISABLED = 1,
    DINGSYNC_TLS_PREFERRED = 2,
    DINGSYNC_TLS_REQUIRED = 3,
    DINGSYNC_TLS_VERIFY_CA = 4,
    DINGSYNC_TLS_VERIFY_IDENTITY = 5
};

/* Returns non-zero when the library refused an option. */
static inline int dingsync_mysql_set_tls_mode(MYSQL *mysql, enum dingsync_tls_mode mode) {
#if defined(DINGSYNC_CLIENT_ORACLE)
    unsigned int value;
    switch (mode) {
    case DINGSYNC_TLS_DISABLED: value = SSL_MODE_DISABLED; break;
    case DINGSYNC_TLS_PREFERRED: value = SSL_MODE_PREFERRED; break;
    case DINGSYNC_TLS_REQUIRED: value = SSL_MODE_REQUIRED; break;
    case DINGSYNC_TLS_VERIFY_CA: value = SSL_MODE_VERIFY_CA; break;
    case DINGSYNC_TLS_VERIFY_IDENTITY: value = SSL_MODE_VERIFY_IDENTITY; break;
    default: return 1;
    }
    return mysql_options(mysql, MYSQL_OPT_SSL_MODE, (const void *)&value) ? 1 : 0;
#else
    my_bool enforce = mode == DINGSYNC_TLS_DISABLED ? 0 : 1;
    /* VERIFY_SERVER_CERT checks the host name as well, so it is VERIFY_IDENTITY only. */
    my_bool verify = mode == DINGSYNC_TLS_VERIFY_IDENTITY ? 1 : 0;
    if (mode < DINGSYNC_TLS_DISABLED || mode > DINGSYNC_TLS_VERIFY_IDENTITY) return 1;
    if (mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, (const void *)&enforce)) return 1;
    return mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, (const void *)&verify) ? 1 : 0;
#endif
}

/* PEM file paths: the same three options (`const char *`) in both families. */
static inline int dingsync_mysql_set_tls_ca(MYSQL *mysql, const char *path) {
    return mysql_options(mysql, MYSQL_OPT_SSL_CA, (const void *)path) ? 1 : 0;
}
static inline int dingsync_mysql_set_tls_cert(MYSQL *mysql, const char *path) {
    return mysql_options(mysql, MYSQL_OPT_SSL_CERT, (const void *)path) ? 1 : 0;
}
static inline int dingsync_mysql_set_tls_key(MYSQL *mysql, const char *path) {
    return mysql_options(mysql, MYSQL_OPT_SSL_KEY, (const void *)path) ? 1 : 0;
}

/* The negotiated cipher, or NULL when the connection is not encrypted (both families). */
static inline const char *dingsync_mysql_tls_cipher(MYSQL *mysql) {
    return mysql_get_ssl_cipher(mysql);
}

/*
 * Error numbers by the headers' own symbolic names, never by remembered numbers:
 * the same number means different things in the two families (4031 is Oracle's
 * ER_CLIENT_INTERACTION_TIMEOUT, the server closing an idle client, but MariaDB's
 * ER_REFERENCED_TRG_DOES_NOT_EXIST), and some names exist in one family only
 * (CR_ERR_NET_READ/WRITE are MariaDB Connector/C's errmsg.h; ER_CONNECTION_KILLED is
 * MariaDB's; ER_CLIENT_INTERACTION_TIMEOUT, ER_INVALID_JSON_TEXT and
 * ER_CHECK_CONSTRAINT_VIOLATED are Oracle's). A name the installed headers lack
 * answers -1, which matches no error.
 *
 * How this list was checked: the MariaDB side against /usr/include/mariadb
 * (Connector/C 3.3.20, server errors of 10.11) with grep; the Oracle side against
 * mysql-server's include/errmsg.h and share/messages_to_clients.txt (mysqld_error.h
 * is generated from it at build time), and compiled by
 * scripts/check-oracle-headers.sh.
 */
enum dingsync_error_symbol {
    /* client library (errmsg.h) */
    DINGSYNC_CR_CONNECTION_ERROR,
    DINGSYNC_CR_CONN_HOST_ERROR,
    DINGSYNC_CR_UNKNOWN_HOST,
    DINGSYNC_CR_SERVER_GONE_ERROR,
    DINGSYNC_CR_SERVER_LOST,
    DINGSYNC_CR_SERVER_LOST_EXTENDED,
    DINGSYNC_CR_SSL_CONNECTION_ERROR,
    DINGSYNC_CR_ERR_NET_READ,
    DINGSYNC_CR_ERR_NET_WRITE,
    /* server: the connection is gone */
    DINGSYNC_ER_SERVER_SHUTDOWN,
    DINGSYNC_ER_ABORTING_CONNECTION,
    DINGSYNC_ER_NEW_ABORTING_CONNECTION,
    DINGSYNC_ER_NET_READ_ERROR,
    DINGSYNC_ER_NET_READ_INTERRUPTED,
    DINGSYNC_ER_NET_ERROR_ON_WRITE,
    DINGSYNC_ER_NET_WRITE_INTERRUPTED,
    DINGSYNC_ER_CONNECTION_KILLED,
    DINGSYNC_ER_CLIENT_INTERACTION_TIMEOUT,
    /* server: access */
    DINGSYNC_ER_DBACCESS_DENIED_ERROR,
    DINGSYNC_ER_ACCESS_DENIED_ERROR,
    DINGSYNC_ER_PASSWORD_ANONYMOUS_USER,
    DINGSYNC_ER_PASSWORD_NOT_ALLOWED,
    DINGSYNC_ER_TABLEACCESS_DENIED_ERROR,
    DINGSYNC_ER_COLUMNACCESS_DENIED_ERROR,
    DINGSYNC_ER_SPECIFIC_ACCESS_DENIED_ERROR,
    DINGSYNC_ER_PROCACCESS_DENIED_ERROR,
    DINGSYNC_ER_ACCESS_DENIED_NO_PASSWORD_ERROR,
    DINGSYNC_ER_MUST_CHANGE_PASSWORD_LOGIN,
    DINGSYNC_ER_ACCOUNT_HAS_BEEN_LOCKED,
    DINGSYNC_ER_SECURE_TRANSPORT_REQUIRED,
    /* server: names */
    DINGSYNC_ER_BAD_DB_ERROR,
    DINGSYNC_ER_NO_SUCH_TABLE,
    DINGSYNC_ER_BAD_FIELD_ERROR,
    DINGSYNC_ER_DUP_ENTRY,
    /* server: transactions */
    DINGSYNC_ER_LOCK_WAIT_TIMEOUT,
    DINGSYNC_ER_LOCK_DEADLOCK,
    /* server: read-only (read_only/super_read_only, innodb_read_only, a read-only transaction) */
    DINGSYNC_ER_OPTION_PREVENTS_STATEMENT,
    DINGSYNC_ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION,
    DINGSYNC_ER_READ_ONLY_MODE,
    DINGSYNC_ER_INNODB_READ_ONLY,
    DINGSYNC_ER_CANT_UPDATE_WITH_READLOCK,
    DINGSYNC_ER_SERVER_OFFLINE_MODE,
    /* server: connection limits */
    DINGSYNC_ER_CON_COUNT_ERROR,
    DINGSYNC_ER_TOO_MANY_USER_CONNECTIONS,
    DINGSYNC_ER_USER_LIMIT_REACHED,
    /* server: the row's data */
    DINGSYNC_ER_BAD_NULL_ERROR,
    DINGSYNC_ER_WARN_NULL_TO_NOTNULL,
    DINGSYNC_ER_WARN_DATA_OUT_OF_RANGE,
    DINGSYNC_WARN_DATA_TRUNCATED,
    DINGSYNC_ER_TRUNCATED_WRONG_VALUE,
    DINGSYNC_ER_INVALID_CHARACTER_STRING,
    DINGSYNC_ER_DIVISION_BY_ZERO,
    DINGSYNC_ER_TRUNCATED_WRONG_VALUE_FOR_FIELD,
    DINGSYNC_ER_ILLEGAL_VALUE_FOR_TYPE,
    DINGSYNC_ER_DATA_TOO_LONG,
    DINGSYNC_ER_WRONG_VALUE_FOR_TYPE,
    DINGSYNC_ER_DATA_OUT_OF_RANGE,
    DINGSYNC_ER_CONSTRAINT_FAILED,
    DINGSYNC_ER_JSON_SYNTAX,
    DINGSYNC_ER_INVALID_JSON_TEXT,
    DINGSYNC_ER_CHECK_CONSTRAINT_VIOLATED,
    DINGSYNC_ERROR_SYMBOL_COUNT
};

#define DINGSYNC_CODE(name) case DINGSYNC_##name: return name;
static inline int dingsync_error_code(enum dingsync_error_symbol symbol) {
    switch (symbol) {
#ifdef CR_CONNECTION_ERROR
    DINGSYNC_CODE(CR_CONNECTION_ERROR)
#endif
#ifdef CR_CONN_HOST_ERROR
    DINGSYNC_CODE(CR_CONN_HOST_ERROR)
#endif
#ifdef CR_UNKNOWN_HOST
    DINGSYNC_CODE(CR_UNKNOWN_HOST)
#endif
#ifdef CR_SERVER_GONE_ERROR
    DINGSYNC_CODE(CR_SERVER_GONE_ERROR)
#endif
#ifdef CR_SERVER_LOST
    DINGSYNC_CODE(CR_SERVER_LOST)
#endif
#ifdef CR_SERVER_LOST_EXTENDED
    DINGSYNC_CODE(CR_SERVER_LOST_EXTENDED)
#endif
#ifdef CR_SSL_CONNECTION_ERROR
    DINGSYNC_CODE(CR_SSL_CONNECTION_ERROR)
#endif
#ifdef CR_ERR_NET_READ
    DINGSYNC_CODE(CR_ERR_NET_READ)
#endif
#ifdef CR_ERR_NET_WRITE
    DINGSYNC_CODE(CR_ERR_NET_WRITE)
#endif
#ifdef ER_SERVER_SHUTDOWN
    DINGSYNC_CODE(ER_SERVER_SHUTDOWN)
#endif
#ifdef ER_ABORTING_CONNECTION
    DINGSYNC_CODE(ER_ABORTING_CONNECTION)
#endif
#ifdef ER_NEW_ABORTING_CONNECTION
    DINGSYNC_CODE(ER_NEW_ABORTING_CONNECTION)
#endif
#ifdef ER_NET_READ_ERROR
    DINGSYNC_CODE(ER_NET_READ_ERROR)
#endif
#ifdef ER_NET_READ_INTERRUPTED
    DINGSYNC_CODE(ER_NET_READ_INTERRUPTED)
#endif
#ifdef ER_NET_ERROR_ON_WRITE
    DINGSYNC_CODE(ER_NET_ERROR_ON_WRITE)
#endif
#ifdef ER_NET_WRITE_INTERRUPTED
    DINGSYNC_CODE(ER_NET_WRITE_INTERRUPTED)
#endif
#ifdef ER_CONNECTION_KILLED
    DINGSYNC_CODE(ER_CONNECTION_KILLED)
#endif
#ifdef ER_CLIENT_INTERACTION_TIMEOUT
    DINGSYNC_CODE(ER_CLIENT_INTERACTION_TIMEOUT)
#endif
#ifdef ER_DBACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_DBACCESS_DENIED_ERROR)
#endif
#ifdef ER_ACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_ACCESS_DENIED_ERROR)
#endif
#ifdef ER_PASSWORD_ANONYMOUS_USER
    DINGSYNC_CODE(ER_PASSWORD_ANONYMOUS_USER)
#endif
#ifdef ER_PASSWORD_NOT_ALLOWED
    DINGSYNC_CODE(ER_PASSWORD_NOT_ALLOWED)
#endif
#ifdef ER_TABLEACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_TABLEACCESS_DENIED_ERROR)
#endif
#ifdef ER_COLUMNACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_COLUMNACCESS_DENIED_ERROR)
#endif
#ifdef ER_SPECIFIC_ACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_SPECIFIC_ACCESS_DENIED_ERROR)
#endif
#ifdef ER_PROCACCESS_DENIED_ERROR
    DINGSYNC_CODE(ER_PROCACCESS_DENIED_ERROR)
#endif
#ifdef ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    DINGSYNC_CODE(ER_ACCESS_DENIED_NO_PASSWORD_ERROR)
#endif
#ifdef ER_MUST_CHANGE_PASSWORD_LOGIN
    DINGSYNC_CODE(ER_MUST_CHANGE_PASSWORD_LOGIN)
#endif
#ifdef ER_ACCOUNT_HAS_BEEN_LOCKED
    DINGSYNC_CODE(ER_ACCOUNT_HAS_BEEN_LOCKED)
#endif
#ifdef ER_SECURE_TRANSPORT_REQUIRED
    DINGSYNC_CODE(ER_SECURE_TRANSPORT_REQUIRED)
#endif
#ifdef ER_BAD_DB_ERROR
    DINGSYNC_CODE(ER_BAD_DB_ERROR)
#endif
#ifdef ER_NO_SUCH_TABLE
    DINGSYNC_CODE(ER_NO_SUCH_TABLE)
#endif
#ifdef ER_BAD_FIELD_ERROR
    DINGSYNC_CODE(ER_BAD_FIELD_ERROR)
#endif
#ifdef ER_DUP_ENTRY
    DINGSYNC_CODE(ER_DUP_ENTRY)
#endif
#ifdef ER_LOCK_WAIT_TIMEOUT
    DINGSYNC_CODE(ER_LOCK_WAIT_TIMEOUT)
#endif
#ifdef ER_LOCK_DEADLOCK
    DINGSYNC_CODE(ER_LOCK_DEADLOCK)
#endif
#ifdef ER_OPTION_PREVENTS_STATEMENT
    DINGSYNC_CODE(ER_OPTION_PREVENTS_STATEMENT)
#endif
#ifdef ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    DINGSYNC_CODE(ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION)
#endif
#ifdef ER_READ_ONLY_MODE
    DINGSYNC_CODE(ER_READ_ONLY_MODE)
#endif
#ifdef ER_INNODB_READ_ONLY
    DINGSYNC_CODE(ER_INNODB_READ_ONLY)
#endif
#ifdef ER_CANT_UPDATE_WITH_READLOCK
    DINGSYNC_CODE(ER_CANT_UPDATE_WITH_READLOCK)
#endif
#ifdef ER_SERVER_OFFLINE_MODE
    DINGSYNC_CODE(ER_SERVER_OFFLINE_MODE)
#endif
#ifdef ER_CON_COUNT_ERROR
    DINGSYNC_CODE(ER_CON_COUNT_ERROR)
#endif
#ifdef ER_TOO_MANY_USER_CONNECTIONS
    DINGSYNC_CODE(ER_TOO_MANY_USER_CONNECTIONS)
#endif
#ifdef ER_USER_LIMIT_REACHED
    DINGSYNC_CODE(ER_USER_LIMIT_REACHED)
#endif
#ifdef ER_BAD_NULL_ERROR
    DINGSYNC_CODE(ER_BAD_NULL_ERROR)
#endif
#ifdef ER_WARN_NULL_TO_NOTNULL
    DINGSYNC_CODE(ER_WARN_NULL_TO_NOTNULL)
#endif
#ifdef ER_WARN_DATA_OUT_OF_RANGE
    DINGSYNC_CODE(ER_WARN_DATA_OUT_OF_RANGE)
#endif
#ifdef WARN_DATA_TRUNCATED
    DINGSYNC_CODE(WARN_DATA_TRUNCATED)
#endif
#ifdef ER_TRUNCATED_WRONG_VALUE
    DINGSYNC_CODE(ER_TRUNCATED_WRONG_VALUE)
#endif
#ifdef ER_INVALID_CHARACTER_STRING
    DINGSYNC_CODE(ER_INVALID_CHARACTER_STRING)
#endif
#ifdef ER_DIVISION_BY_ZERO
    DINGSYNC_CODE(ER_DIVISION_BY_ZERO)
#endif
#ifdef ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    DINGSYNC_CODE(ER_TRUNCATED_WRONG_VALUE_FOR_FIELD)
#endif
#ifdef ER_ILLEGAL_VALUE_FOR_TYPE
    DINGSYNC_CODE(ER_ILLEGAL_VALUE_FOR_TYPE)
#endif
#ifdef ER_DATA_TOO_LONG
    DINGSYNC_CODE(ER_DATA_TOO_LONG)
#endif
#ifdef ER_WRONG_VALUE_FOR_TYPE
    DINGSYNC_CODE(ER_WRONG_VALUE_FOR_TYPE)
#endif
#ifdef ER_DATA_OUT_OF_RANGE
    DINGSYNC_CODE(ER_DATA_OUT_OF_RANGE)
#endif
#ifdef ER_CONSTRAINT_FAILED
    DINGSYNC_CODE(ER_CONSTRAINT_FAILED)
#endif
#ifdef ER_JSON_SYNTAX
    DINGSYNC_CODE(ER_JSON_SYNTAX)
#endif
#ifdef ER_INVALID_JSON_TEXT
    DINGSYNC_CODE(ER_INVALID_JSON_TEXT)
#endif
#ifdef ER_CHECK_CONSTRAINT_VIOLATED
    DINGSYNC_CODE(ER_CHECK_CONSTRAINT_VIOLATED)
#endif
    default: return -1;
    }
}
#undef DINGSYNC_CODE

/* The fetch status codes are macros. */
static inline int dingsync_mysql_no_data(void) { return MYSQL_NO_DATA; }
static inline int dingsync_mysql_data_truncated(void) { return MYSQL_DATA_TRUNCATED; }

#endif
