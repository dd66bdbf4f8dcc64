"""schemathesis check for scripts/e2e/40-api-schema.sh: a token limited to an administrative unit
never gets data from outside it. IOC_OUTSIDE_STATIONS lists the station codes outside the token's
unit (comma-separated); a successful response naming one of them fails the check. Error responses
may echo what was asked (\"there is no station X\") and are not checked."""
import os

import schemathesis

OUTSIDE = [code for code in os.environ.get("IOC_OUTSIDE_STATIONS", "").split(",") if code]
# One line per successful response checked, so that the script can see the check ran.
CHECKED = os.environ.get("IOC_SCOPE_CHECKED_LOG")


@schemathesis.check
def no_data_outside_scope(ctx, response, case):
    if response.status_code >= 300:
        return None
    text = response.text
    if CHECKED:
        with open(CHECKED, "a", encoding="utf-8") as log:
            log.write(f"{case.method} {case.path}\n")
    for code in OUTSIDE:
        # JSON strings, and CSV rows of /api/v1/export (the station code is the first column).
        if f'"{code}"' in text or f"\n{code}," in text:
            raise AssertionError(f"{case.method} {case.formatted_path} answered a token limited to "
                                 f"{os.environ.get('IOC_SCOPE_UNIT')} with station {code}, which is outside it")
    return None
