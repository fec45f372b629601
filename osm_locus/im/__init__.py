"""OSM's information model: YANG files OSM's NBI validates with, and their bindings."""
