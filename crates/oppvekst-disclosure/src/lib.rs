//! Disclosure control: primary and secondary suppression; the only constructor of Protected tables.
