//! awaaz-realtime: the OpenAI Realtime (GA) protocol (being written).
