"""Search: the images and uploads indices on Elasticsearch or OpenSearch.

``client`` builds the client, ``mappings`` and ``indices`` define and manage the
indices, ``documents`` and ``queries`` build bodies without I/O, and ``service``
performs the operations. ``errors`` is what callers catch.
"""
