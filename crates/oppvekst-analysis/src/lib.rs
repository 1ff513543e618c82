//! Indicators and trends computed from protected tables only.
