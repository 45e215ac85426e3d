"""govmesh: the data hub of a city's e-government data center."""
