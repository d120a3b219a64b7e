"""The P4Info of the dynamic program: written from the data-plane contract (``write``), read
back by name (``index``), both in protobuf text format (``textformat``)."""
