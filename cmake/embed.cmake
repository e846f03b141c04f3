# Turns the file IN into a C source OUT defining bdhvs_openapi_yaml / bdhvs_openapi_yaml_len.
file(READ ${IN} HEX HEX)
string(LENGTH "${HEX}" HEXLEN)
math(EXPR LEN "${HEXLEN} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${HEX}")
file(WRITE ${OUT} "#include <stddef.h>\nconst unsigned char bdhvs_openapi_yaml[] = {${BYTES}0x00};\nconst size_t bdhvs_openapi_yaml_len = ${LEN};\n")
