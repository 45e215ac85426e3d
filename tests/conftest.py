"""Shared test settings: hypothesis profiles sized for a 2-core machine, and no GOVMESH_* leaking in."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Tests build their own settings; a developer's shell (GOVMESH_CATALOG_PORT=…, a config file) must not
# change what they see. GOVMESH_TEST_* variables are the tests' own knobs and stay.
for _name in [name for name in os.environ if name.startswith("GOVMESH_") and not name.startswith("GOVMESH_TEST_")]:
    del os.environ[_name]
