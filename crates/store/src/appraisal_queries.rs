//! Read models for the web screens of issue 4 that the workflow module does not provide.

