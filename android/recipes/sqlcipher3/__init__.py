"""python-for-android recipe for sqlcipher3 (none upstream): SQLCipher 4 on p4a's OpenSSL.

UNTESTED HERE: building it needs the Android SDK/NDK, which this project's machines cannot
download. Inputs are pinned: the sdist by version and digest; it vendors the SQLCipher
amalgamation (vendor/sqlite3.c), so no other download happens. Used through buildozer.spec
(``p4a.local_recipes``).
"""

from os.path import join

from pythonforandroid.recipe import CompiledComponentsPythonRecipe


class Sqlcipher3Recipe(CompiledComponentsPythonRecipe):
    version = "0.6.4"
    url = "https://files.pythonhosted.org/packages/source/s/sqlcipher3/sqlcipher3-{version}.tar.gz"
    # The sdist's digests (the same file PyPI serves for sqlcipher3==0.6.4).
    sha256sum = "b02a3edfc554c9197d63ab4c38a30f7682eec65b10e5be2c9285a0d6ffb7a29a"
    sha512sum = (
        "2cf5116ed6b79122a869934be514515de14ea7df867588ca056185ecc9aa3b29"
        "b393686e7334e8ceeae3ee9d70e2dcb8cfb91b5512d322c5a1ed0d1ec8cd56a5"
    )
    depends = ["python3", "setuptools", "openssl"]
    site_packages_name = "sqlcipher3"
    call_hostpython_via_targetpython = False

    def get_recipe_env(self, arch, with_flags_in_cc=True):
        """Compile against p4a's OpenSSL (libcrypto: SQLCipher's AES and HMAC); setup.py
        links ``-lcrypto`` itself when conan is absent, as it is here."""
        env = super().get_recipe_env(arch, with_flags_in_cc)
        openssl = self.get_recipe("openssl", self.ctx)
        env["CFLAGS"] += " " + openssl.include_flags(arch)
        env["LDFLAGS"] += " " + openssl.link_dirs_flags(arch)
        env["LIBS"] = env.get("LIBS", "") + " " + openssl.link_libs_flags()
        # setup.py compiles the vendored amalgamation; its header lives beside it.
        env["CFLAGS"] += " -I" + join(self.get_build_dir(arch.arch), "vendor")
        return env


recipe = Sqlcipher3Recipe()
