#pragma once
// Debian builds libxml2 with ICU, so encoding.h would include the system's <unicode/ucnv.h>, which clashes
// with the ICU that Foundation bundles (_FoundationICU) in any module importing both. seeder never touches
// the ICU-only fields of xmlCharEncodingHandler (it only holds pointers to it), so hiding them is safe.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h>
#include <libxml/SAX2.h>
