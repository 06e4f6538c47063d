"""The parser version recorded with every RuleSetVersion.

Bump rule (semver): MAJOR when a row field's meaning or normalisation changes for rows
that were read before (stored versions would diff against new parses); MINOR when new
layouts/formats are read (more rows, same values for old ones); PATCH for fixes that
change no output on the accuracy corpus except corrected rows.
"""

PARSER_VERSION = "2.0.0"
