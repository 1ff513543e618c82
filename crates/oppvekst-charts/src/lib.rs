//! Trend charts in PNG and SVG from analysis outputs.
