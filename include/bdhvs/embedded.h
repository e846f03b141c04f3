/* Files embedded in the program at build time (cmake/embed.cmake, cmake/incbin.cmake): the
 * contract openapi.yaml, the rendered reference docs/api.html and the console page
 * web/console/index.html. Each is its bytes and their count; read-only, never freed. */
#ifndef BDHVS_EMBEDDED_H
#define BDHVS_EMBEDDED_H

#include <stddef.h>

extern const unsigned char bdhvs_openapi_yaml[];
extern const size_t bdhvs_openapi_yaml_len;
extern const unsigned char bdhvs_docs_html[];
extern const size_t bdhvs_docs_html_len;
extern const unsigned char bdhvs_console_html[];
extern const size_t bdhvs_console_html_len;

#endif
