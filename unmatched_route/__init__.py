"""Any method, any path no other function takes (anonymous): glue to shared.fallback.

The host tries routes in order of function names: this folder's name must sort after every other
function's (tests/unit/test_devhost_routing.py checks it).
"""

import azure.functions as func

from shared.fallback import unmatched_response


def main(req: func.HttpRequest) -> func.HttpResponse:
    return unmatched_response(req)
