"""The LOCUS composite service's applications: the cloud forwarder and the edge data service.

Both are single files using only the standard library, so the cloud VNF's cloud-init can write the
forwarder onto a stock Ubuntu image and the edge KNF's image needs nothing but Python.
"""
