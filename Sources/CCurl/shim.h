#ifndef DINGSYNC_CCURL_SHIM_H
#define DINGSYNC_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call:
// one typed wrapper per argument kind we use.
static inline CURLcode dingsync_curl_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dingsync_curl_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dingsync_curl_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dingsync_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
typedef size_t (*dingsync_curl_data_cb)(char *, size_t, size_t, void *);
static inline CURLcode dingsync_curl_setopt_data_cb(CURL *h, CURLoption o, dingsync_curl_data_cb v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dingsync_curl_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode dingsync_curl_getinfo_double(CURL *h, CURLINFO i, double *v) {
    return curl_easy_getinfo(h, i, v);
}
// CURLINFO_ACTIVESOCKET hands back a curl_socket_t, the raw socket of a CONNECT_ONLY
// transfer that the WebSocket client polls for readability.
static inline CURLcode dingsync_curl_getinfo_socket(CURL *h, CURLINFO i, curl_socket_t *v) {
    return curl_easy_getinfo(h, i, v);
}
#endif
