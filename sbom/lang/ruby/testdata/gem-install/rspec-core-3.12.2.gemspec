# -*- encoding: utf-8 -*-
# stub: rspec-core 3.12.2 ruby lib

Gem::Specification.new do |s|
  s.name = "rspec-core".freeze
  s.version = "3.12.2"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["Dozor tests".freeze]
  s.date = "2026-11-23"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "Test gem rspec-core".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
