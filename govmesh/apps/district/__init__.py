"""District return: a district government's complete load of its own enterprises' data, then every change."""
