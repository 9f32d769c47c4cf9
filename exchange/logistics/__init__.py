"""Transport of taken items between sites: requests, rounds and the logistics board."""
