//! Integration tests: the real `mailcite` binary on the sample leak shipped
//! in `examples/`, on mailboxes written by the tests, and on the real corpora
//! in `../shared/corpora` (see `support::shared`).

mod articles;
mod attachments;
mod authenticity;
mod citations_eval;
mod crash;
mod embedded;
mod evidence;
mod hostile;
mod import;
mod integrity;
mod search;
mod show;
mod support;

// Investigation: correspondents, their network, time.
mod graph;
mod people;
mod timeline;

// The web view (`mailcite serve`).
mod web;
