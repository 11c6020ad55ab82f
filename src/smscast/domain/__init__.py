"""Pure SMS and billing knowledge: no I/O, no settings, no clocks — plain values in and out."""
