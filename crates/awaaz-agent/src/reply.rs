//! Reply templates in English, Hinglish and Hindi.
