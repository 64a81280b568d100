#ifndef DINGSYNC_CCURL_SHIM_H
#define DINGSYNC_CCURL_SHIM_H
#include <curl/curl.h>
#endif
