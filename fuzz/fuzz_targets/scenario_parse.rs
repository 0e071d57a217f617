//! Fuzzes the scenario parser: any text must give a scenario or an error
//! that renders in both languages, and never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rollout_sim::engine::budget;
use rollout_sim::i18n::Lang;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match rollout_sim::scenario::parse(text, "fuzz.toml", None) {
        Ok(scenario) => {
            // A valid scenario must also give a memory estimate, which
            // multiplies its sizes together.
            let _ = budget::estimate_memory(&scenario, scenario.run.replications, 2);
            let _ = budget::estimate_launches(&scenario, scenario.population.users, 1);
        }
        Err(error) => {
            let _ = error.render(Lang::En);
            let _ = error.render(Lang::ZhCn);
        }
    }
});
