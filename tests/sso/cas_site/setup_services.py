"""Register the services the test CAS server issues tickets for (argv: JSON list of
{"pattern", "name", "single_log_out"}); every attribute is released to each."""

import json
import sys

import django

django.setup()

from cas_server.models import ReplaceAttributName, ServicePattern  # noqa: E402

for position, service in enumerate(json.loads(sys.argv[1]), start=1):
    pattern = ServicePattern.objects.create(
        pos=position, name=service["name"], pattern=service["pattern"],
        single_log_out=service.get("single_log_out", False))
    ReplaceAttributName.objects.create(name="*", service_pattern=pattern)
