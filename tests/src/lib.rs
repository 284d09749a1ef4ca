pub mod fake_x;
