//! `khachquen`: the command line. It links no GUI library; with no command it starts
//! `khachquen-window` beside it.

fn main() {
    std::process::exit(khachquen_cli::main());
}
