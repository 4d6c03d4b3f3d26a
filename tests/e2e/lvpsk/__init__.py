"""End-to-end harness for libvirt TLS-PSK migration tests."""
