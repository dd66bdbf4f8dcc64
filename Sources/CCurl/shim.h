#ifndef IOC_CCURL_SHIM_H
#define IOC_CCURL_SHIM_H
#include <curl/curl.h>
#endif
