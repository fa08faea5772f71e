// A statement prepared once and run 300 times the way go-sqlite3 runs it (reset, clear the
// bindings, bind, step), reporting the time a run and how often SQLite compiled it again. See run.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sqlite3-binding.h"
static char *slurp(const char *p){FILE*f=fopen(p,"rb");fseek(f,0,2);long n=ftell(f);rewind(f);char*b=malloc(n+1);fread(b,1,n,f);b[n]=0;fclose(f);return b;}
int main(int argc,char**argv){
  sqlite3*db; sqlite3_open_v2(argv[1],&db,SQLITE_OPEN_READONLY,0);
  char*q=slurp(argv[2]); sqlite3_stmt*st;
  if(sqlite3_prepare_v3(db,q,-1,SQLITE_PREPARE_PERSISTENT,&st,0)){printf("prep err %s\n",sqlite3_errmsg(db));return 1;}
  struct timespec a,b; clock_gettime(CLOCK_MONOTONIC,&a);
  int n=300;
  for(int i=0;i<n;i++){
    sqlite3_reset(st); sqlite3_clear_bindings(st);
    sqlite3_bind_text(st,1,"p",-1,SQLITE_STATIC); sqlite3_bind_int(st,2,0); sqlite3_bind_text(st,3,"s",-1,SQLITE_STATIC);
    sqlite3_bind_int64(st,4,1); sqlite3_bind_int64(st,5,2); sqlite3_bind_int64(st,6,3);
    while(sqlite3_step(st)==SQLITE_ROW){}
  }
  clock_gettime(CLOCK_MONOTONIC,&b);
  printf("%s: %.1f us/exec, reprepares %d, version %s\n", argv[2], ((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e3/n, sqlite3_stmt_status(st,SQLITE_STMTSTATUS_REPREPARE,0), sqlite3_libversion());
  return 0;
}
