#![no_main]

#[global_allocator]
static ALLOCATOR: chiso_fuzz::alloc::Counting = chiso_fuzz::alloc::Counting;

libfuzzer_sys::fuzz_target!(|data: &[u8]| chiso_fuzz::run("questionnaire_toml", data));
