//! Client manifest (MS-SSTR §2.2.2): model and parser.
